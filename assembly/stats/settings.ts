// `stats settings`, from the descriptor the host wrote (host/options.ts STATS_SETTINGS, laid out
// as abi/settings.ts SettingFormat says): each line's name, then its slot's value in its format.
import { Setting, SettingFormat } from "../abi/settings";
import { setting, SETTINGS_DESC, SETTINGS_DESC_SIZE, Global, global64 } from "../layout/layout";
import { outStr, outU64, outCrlf, outBytes, outByte } from "../session/output";

const HUNDRED: u64 = 100;
// A line's descriptor: format u8, slot u8, name length u8, name, then for TEXT length u8, text.
const D_FORMAT: usize = 0;
const D_SLOT: usize = 1;
const D_NAME_LEN: usize = 2;
const D_NAME: usize = 3;

export function renderSettings(): void {
  let p = SETTINGS_DESC;
  const end = SETTINGS_DESC + SETTINGS_DESC_SIZE;
  while (p < end) {
    const fmt = <SettingFormat>load<u8>(p, D_FORMAT);
    if (fmt == SettingFormat.END) return;
    const v = setting(<Setting>load<u8>(p, D_SLOT));
    const nameLen = <usize>load<u8>(p, D_NAME_LEN);
    outStr("STAT ");
    outBytes(p + D_NAME, <u32>nameLen);
    outByte(0x20);
    p += D_NAME + nameLen;
    if (fmt == SettingFormat.TEXT) {
      outBytes(p + 1, load<u8>(p));
      p += 1 + <usize>load<u8>(p);
    } else if (fmt == SettingFormat.FLOAT2) {
      outFixed2(v);
    } else if (fmt == SettingFormat.YESNO) {
      outStr(v != 0 ? "yes" : "no");
    } else if (fmt == SettingFormat.ONOFF) {
      outStr(v != 0 ? "on" : "off");
    } else if (fmt == SettingFormat.OLDEST) {
      outU64(global64(Global.OLDEST_LIVE));
    } else {
      outU64(<u64>v);
    }
    outCrlf();
  }
}

// printf's %.2f for the small non-negative settings it is used on.
function outFixed2(v: f64): void {
  const hundredths = <u64>Math.round(v * <f64>HUNDRED);
  outU64(hundredths / HUNDRED);
  outByte(0x2e);
  const frac = hundredths % HUNDRED;
  if (frac < 10) outByte(0x30);
  outU64(frac);
}
