// Labels of identifiers, as negative context: a bare digit run right after 免許証番号 or
// マイナンバー is that identifier, so another detector's chance match on the same digits (a
// 13-digit run passing the corporate check digit, 11 digits shaped like a mobile number) is
// scored down below the default threshold. Each detector's own label still wins (it is tested
// first as positive context).
import type { KeywordWindow } from './scan-context.js';

export const OTHER_ID_WORDS: KeywordWindow = {
  pattern: /マイナンバー|個人番号|法人番号|口座|免許|旅券|パスポート|会員番号|注文番号|受付番号|ID/,
  before: 16,
  after: 0,
};
