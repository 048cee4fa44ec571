// What opening a file or binding a socket commonly fails with, as C code reports it: errno and
// strerror(3)'s text, by the code Node-style APIs put on the error.
const SYSTEM_ERRORS: Record<string, { errno: number; text: string }> = {
  ENOENT: { errno: 2, text: "No such file or directory" },
  EACCES: { errno: 13, text: "Permission denied" },
  EFAULT: { errno: 14, text: "Bad address" },
  ENOTDIR: { errno: 20, text: "Not a directory" },
  EISDIR: { errno: 21, text: "Is a directory" },
  EADDRINUSE: { errno: 98, text: "Address already in use" },
  EADDRNOTAVAIL: { errno: 99, text: "Cannot assign requested address" },
};

/** The error's code ("ENOENT"…), or "" when it has none. */
export function systemErrorCode(err: unknown): string {
  return (err as { code?: string }).code ?? "";
}

/** strerror(3) for a failed file or socket operation, else the error's own message. */
export function strerror(err: unknown): string {
  return SYSTEM_ERRORS[systemErrorCode(err)]?.text ?? (err as Error).message;
}

// OpenSSL 3 files a system error under library 2 with the errno as its reason.
const OPENSSL_SYSTEM_LIB = 0x80000000;

/** How OpenSSL's ERR_error_string renders a system error: "error:80000002:system library::…". */
export function opensslSystemError(code: string): string {
  const e = SYSTEM_ERRORS[code];
  if (!e) return code;
  return `error:${(OPENSSL_SYSTEM_LIB + e.errno).toString(16).toUpperCase()}:system library::${e.text}`;
}
