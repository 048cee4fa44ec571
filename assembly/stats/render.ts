// The `stats` families the exported renderStats() and both protocols ask for by number.
import { renderGeneral } from "./server";
import { renderItems } from "./items";
import { renderSlabs } from "./slabs";
import { renderSettings } from "./settings";
import { endLine } from "./lines";

export enum StatsGroup { GENERAL = 0, ITEMS = 1, SLABS = 2, SETTINGS = 3 }

// The whole reply of a `stats` family, END included.
export function renderStats(group: StatsGroup): void {
  switch (group) {
    case StatsGroup.GENERAL: renderGeneral(); break;
    case StatsGroup.ITEMS: renderItems(); break;
    case StatsGroup.SLABS: renderSlabs(); break;
    default: renderSettings();
  }
  endLine();
}
