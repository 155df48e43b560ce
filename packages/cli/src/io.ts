/** Where the CLI writes: `process.stdout` / `process.stderr`, or a test's collector. */
export interface CliOutput {
  write(chunk: string): unknown
  /** True on a terminal: tables get colour, `watch` redraws. */
  readonly isTTY?: boolean | undefined
  /** Terminal width in columns (long names are shortened to fit). */
  readonly columns?: number | undefined
}

/** What {@link main} reads and writes, injected so that it runs in-process in tests. */
export interface CliIo {
  readonly stdout: CliOutput
  readonly stderr: CliOutput
  /** The environment (`NO_COLOR`). */
  readonly env: Readonly<Record<string, string | undefined>>
  /**
   * Aborting it stops `watch`, which then exits 0, and cuts any other command short with exit
   * 130 (the bin aborts it on SIGINT).
   */
  readonly signal?: AbortSignal | undefined
}
