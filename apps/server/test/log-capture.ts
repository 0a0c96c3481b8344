/** A pino-shaped logger that keeps every line, so tests can assert on what was logged and why. */
export interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

export class LogCapture {
  readonly lines: LogLine[] = [];
  info = (fields: object, message: string) => this.push('info', fields, message);
  warn = (fields: object, message: string) => this.push('warn', fields, message);
  error = (fields: object, message: string) => this.push('error', fields, message);
  debug = (fields: object, message: string) => this.push('info', fields, message);

  private push(level: LogLine['level'], fields: object, message: string): void {
    this.lines.push({ level, fields: fields as Record<string, unknown>, message });
  }

  /** Lines whose message or reason contains `text`. */
  find(text: string): LogLine[] {
    return this.lines.filter((l) => l.message.includes(text) || String(l.fields['reason'] ?? '').includes(text));
  }
}
