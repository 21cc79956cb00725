// User-facing errors. Every problem a user can cause (bad file, unsupported model, bad
// option) is a TinytrainError with a one-line message and a stable `code`; the CLI prints
// the message and exits non-zero instead of showing a stack trace.

/** Codes used so far; other stages may add their own strings. */
export type ErrorCode =
  | 'E_TINYTRAIN'          // generic
  | 'E_ONNX_CORRUPT'       // bytes are not a decodable / well-formed ONNX model
  | 'E_UNSUPPORTED_OP'     // op type (or domain) not in the op registry
  | 'E_UNSUPPORTED_ATTR'   // supported op with an attribute value we cannot express
  | 'E_UNSUPPORTED_PATTERN'// supported ops in an arrangement we cannot canonicalize
  | 'E_GRAPH_IO'           // graph inputs/outputs not of the single-image -> logits form
  | 'E_SHAPE'              // shape inference failed or a shape is out of contract
  | 'E_INTERNAL'           // a bug: an invariant of ours did not hold
  | (string & {});

export class TinytrainError extends Error {
  readonly code: ErrorCode;

  constructor(message: string, code: ErrorCode = 'E_TINYTRAIN', options?: { cause?: unknown }) {
    // Keep messages to one line: the CLI prints them verbatim.
    super(message.replace(/\s*\n\s*/g, ' '), options);
    this.name = 'TinytrainError';
    this.code = code;
  }
}

export function isTinytrainError(e: unknown): e is TinytrainError {
  return e instanceof TinytrainError;
}
