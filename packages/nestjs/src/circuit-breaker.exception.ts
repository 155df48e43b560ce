import { ServiceUnavailableException } from '@nestjs/common'
import type { CircuitOpenError } from '@tripswitch/core'
import {
  type OpenCircuitBody,
  type OpenCircuitResponse,
  openCircuitResponse,
} from '@tripswitch/core/adapter'

/**
 * A request refused by an open circuit: 503 with core's body (`code: 'ERR_CIRCUIT_OPEN'`,
 * `circuit`, `retryAfter` in whole seconds), never the downstream error. The interceptor sets
 * {@link CircuitOpenException.headers} (`Retry-After`, `Cache-Control: no-store`) on the
 * response before throwing it; a custom exception filter can read them here. The core error is
 * the `cause`.
 */
export class CircuitOpenException extends ServiceUnavailableException {
  /** Name of the open circuit. */
  readonly circuit: string
  /** Whole seconds until a probe is allowed (the `Retry-After` value). */
  readonly retryAfter: number
  /** Headers of the answer: `retry-after` (seconds) and `cache-control: no-store`. */
  readonly headers: OpenCircuitResponse['headers']

  constructor(error: CircuitOpenError, message?: string) {
    const answer = openCircuitResponse(error, message)
    super(answer.body, { cause: error, description: answer.body.message })
    this.circuit = answer.body.circuit
    this.retryAfter = answer.body.retryAfter
    this.headers = answer.headers
  }

  /** The JSON body sent to the client. */
  override getResponse(): OpenCircuitBody {
    return super.getResponse() as OpenCircuitBody
  }
}
