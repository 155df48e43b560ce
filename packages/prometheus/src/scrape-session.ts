import { ByteWriter } from './byte-writer.ts'
import { BufferPool, ResponseSink } from './response-sink.ts'
import { Tables } from './write-exposition.ts'

/** Sessions kept for reuse: enough for a few concurrent scrapes. */
const SPARE_SESSIONS = 4

/** What one scrape in progress uses: a sink to its response, a writer, the tables read. */
export class ScrapeSession {
  readonly sink: ResponseSink
  readonly writer: ByteWriter
  readonly tables: Tables = new Tables()

  constructor(pool: BufferPool) {
    this.sink = new ResponseSink(pool)
    this.writer = new ByteWriter(this.sink, Buffer.alloc(0))
  }
}

/**
 * Sessions reused scrape after scrape, with the buffers they write into. Reuse is what keeps
 * a scrape fast: code V8 optimized while writing refers to the writer and sink it saw, and is
 * thrown away when they are collected; long-lived ones keep it.
 */
export class SessionPool {
  private readonly buffers = new BufferPool()
  private readonly free: ScrapeSession[] = []

  /** A session no other scrape uses. */
  take(): ScrapeSession {
    return this.free.pop() ?? new ScrapeSession(this.buffers)
  }

  /** Gives back a session whose sink has nothing in flight any more. */
  give(session: ScrapeSession): void {
    if (this.free.length < SPARE_SESSIONS) this.free.push(session)
  }
}
