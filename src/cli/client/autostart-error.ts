// The error a failed autostart of berthd raises. It lives apart from
// autostart.ts so that main can recognise it without loading
// node:child_process, which only an autostart needs.
export class AutostartError extends Error {}
