// Progress output of image endpoints (load, import): one JSON object per line,
// ending in "\r\n" as dockerd's stream formatter writes them. Errors after
// the 200 status go in-band as {"errorDetail": {"message"}, "error"}.
export function streamMessage(text: string): string {
  return `${JSON.stringify({ stream: text })}\r\n`;
}

export function statusMessage(status: string): string {
  return `${JSON.stringify({ status })}\r\n`;
}

export function errorMessage(message: string): string {
  return `${JSON.stringify({ errorDetail: { message }, error: message })}\r\n`;
}
