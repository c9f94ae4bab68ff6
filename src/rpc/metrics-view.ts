import { rate } from "../metrics/rates.js";
import type { Counts } from "../storage/types.js";

/** The human (not `machine`) counts and their rates over `sends`, as every metrics message names them. */
export function humanView(c: Counts, sends: number) {
  return {
    humanOpens: BigInt(c.hopen),
    uniqueHumanOpens: BigInt(c.uhopen),
    humanClicks: BigInt(c.hclick),
    uniqueHumanClicks: BigInt(c.uhclick),
    humanOpenRate: rate(c.hopen, sends),
    humanClickRate: rate(c.hclick, sends),
  };
}

