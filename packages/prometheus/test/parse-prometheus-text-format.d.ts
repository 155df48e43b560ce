declare module 'parse-prometheus-text-format' {
  /** One sample of a counter, gauge or untyped family (a histogram's has buckets instead). */
  export interface ParsedSample {
    readonly value?: string
    readonly labels?: Record<string, string>
    readonly buckets?: Record<string, string>
    readonly count?: string
    readonly sum?: string
  }
  /** One metric family of an exposition. */
  export interface ParsedFamily {
    readonly name: string
    readonly help: string
    readonly type: string
    readonly metrics: ParsedSample[]
  }
  /** Parses the Prometheus text exposition format. */
  export default function parsePrometheusTextFormat(text: string): ParsedFamily[]
}
