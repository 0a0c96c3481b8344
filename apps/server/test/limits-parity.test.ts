/**
 * The SDK checks the server's request limits before sending (it may import only types from the
 * api, so it keeps its own copy of them): the two copies must agree.
 */
import { describe, expect, it } from 'vitest';
import * as api from '@ringkv/api';
import * as client from '@ringkv/client';

describe('request limits', () => {
  it('are the same in the SDK and the api', () => {
    for (const name of ['KEY_SIZE_BYTES_MAX', 'VALUE_SIZE_BYTES_MAX', 'BATCH_OPS_MAX', 'BATCH_SIZE_BYTES_MAX', 'GET_MANY_KEYS_MAX', 'REQUEST_BODY_BYTES_MAX'] as const) {
      expect(client[name], name).toBe(api[name]);
    }
  });
});
