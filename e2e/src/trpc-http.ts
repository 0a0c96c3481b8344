/** Raw tRPC-over-HTTP calls (what curl would send), for tests that must bypass the SDK. */
export interface RawResponse {
  readonly status: number;
  readonly body: unknown;
}

export async function trpcQuery(endpoint: string, path: string, input: unknown): Promise<RawResponse> {
  const url = `http://${endpoint}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`;
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: await res.json() };
}

export async function trpcPost(endpoint: string, path: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<RawResponse> {
  const res = await fetch(`http://${endpoint}/trpc/${path}`, { method: 'POST', body, headers, signal: AbortSignal.timeout(20_000) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // leave it as text: the assertion will show it
  }
  return { status: res.status, body: parsed };
}

/** The RingKV code in a tRPC error body (`error.data.ringkv.code`). */
export function ringkvCode(body: unknown): string | undefined {
  return (body as { error?: { data?: { ringkv?: { code?: string } } } }).error?.data?.ringkv?.code;
}
