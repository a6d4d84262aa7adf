import { TunebookError } from "../errors";

/** The `error` object of an OpenAI-shaped error response. */
export interface ApiErrorBody {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

/**
 * An HTTP request to the server failed in a way the client must hear about; rendered as an OpenAI-shaped
 * error body `{ error: { message, type, param, code } }` with `status`.
 *
 * @example
 * ```ts
 * throw new ApiError({ status: 404, type: "invalid_request_error", code: "model_not_found", param: "model",
 *   message: "The model 'x' does not exist; available: tiny" });
 * ```
 */
export class ApiError extends TunebookError {
  /** HTTP status code. */
  readonly status: number;
  /** OpenAI error type, e.g. `invalid_request_error`, `authentication_error`, `server_error`. */
  readonly type: string;
  /** The request field at fault, when one is. */
  readonly param: string | null;
  /** Machine-readable code, e.g. `context_length_exceeded`. */
  readonly code: string | null;

  /**
   * @param options - status, OpenAI type, message, and optionally param and code
   */
  constructor(options: {
    status: number;
    type: string;
    message: string;
    param?: string | null;
    code?: string | null;
  }) {
    super(options.message);
    this.name = "TunebookApiError";
    this.status = options.status;
    this.type = options.type;
    this.param = options.param ?? null;
    this.code = options.code ?? null;
  }

  /**
   * The JSON body to send.
   * @returns `{ error: { message, type, param, code } }`
   */
  toBody(): { error: ApiErrorBody } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}
