export { Bitset } from './bitset';
export { ILLEGAL, hashString } from './model';
export type { Illegal, Model } from './model';
export type { History, Operation } from './operation';
export { searchLinearization } from './search';
export type { SearchResult, ShouldStop, Verdict } from './search';
export { checkHistory, partitionByKey } from './checker';
export type { CheckOptions, CheckResult, KeyResult } from './checker';
export { registerModel } from './models/register-model';
export type { RegisterInput, RegisterOutput, RegisterState } from './models/register-model';
export { kvModel } from './models/kv-model';
export type { KvState } from './models/kv-model';
export { appendModel } from './models/append-model';
export type { AppendInput, AppendOutput } from './models/append-model';
export type {
  ConditionFailed,
  DeleteInput,
  DeleteOutput,
  GetOutput,
  KvInput,
  KvOutput,
  PutInput,
  PutOutput,
  RingKvClient,
  RingKvOpName,
  RingKvRecord,
} from './ringkv-history';
export { HistoryRecorder } from './history-recorder';
export type { CallHandle } from './history-recorder';
export { parseRingKvHistory, operationFromRecord, ringKvHistoryFromRecords } from './parse-ringkv';
export { parseJepsenLog, JEPSEN_REGISTER_KEY } from './parse-jepsen';
export { parseEdnKvHistory, parseEdnMap } from './parse-edn-kv';
export { HISTORY_FORMATS, guessFormat, loadHistory, parseHistory } from './load-history';
export type { AnyHistory, HistoryFormat } from './load-history';
export { renderHtmlReport, escapeHtml } from './html-report';
export { findLincheckDataDir } from './data-path';
