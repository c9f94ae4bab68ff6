import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { AnalyticsService } from "../../gen/es/misar/analytics/v1/analytics_service_pb.js";
import { TrackService } from "../../gen/es/misar/analytics/v1/track_service_pb.js";
import { callerKey } from "../auth/context.js";
import type { EmailIngest } from "../storage/email-ingest.js";

/**
 * How long a read waits for batches answered before it to be counted (another process's backlog
 * or batch in flight, a repair due) before it answers `unavailable`.
 */
const READ_WAIT_MS = 2000;

/**
 * Reads see every batch answered before them: they first wait for those to be counted
 * (EmailIngest.counted; with a count delay, this process's backlog of the account is counted
 * then). Reads of an account whose derived data is being rebuilt (or whose rebuild was cut
 * short) answer `unavailable` (REST 503 + Retry-After) rather than a partial number: checked
 * before the read, and for the analytics reads again after it (a rebuild that started meanwhile
 * makes it fail too). TrackPurchase reads click days for attribution, so the same holds for it.
 */
export function repairGuardInterceptor(ingest: EmailIngest): Interceptor {
  return (next) => async (req) => {
    const analytics = req.service.typeName === AnalyticsService.typeName;
    const purchase = req.service.typeName === TrackService.typeName && req.method.name === TrackService.method.trackPurchase.name;
    const account = req.contextValues.get(callerKey)?.account;
    if ((!analytics && !purchase) || account === undefined) return next(req);
    // The rebuild flag first: a read during a rebuild is answered at once, not after waiting
    // READ_WAIT_MS for the journal entries the rebuild will remove. (A repair that finishes
    // while `counted` waits for it makes the check after the read answer 503 once more.)
    const before = await ingest.repairState(account);
    if (before.rebuilding) throw underRepair();
    // A purchase, a write whose attribution must see every click answered before it, waits as
    // long as a re-sent batch does (whenCounted); a read answers 503 sooner.
    if (purchase) await ingest.whenCounted(account);
    else await ingest.counted(account, READ_WAIT_MS);
    const res = await next(req);
    if (analytics) {
      const after = await ingest.repairState(account);
      if (after.rebuilding || after.rebuilds !== before.rebuilds) throw underRepair();
    }
    return res;
  };
}

const underRepair = () =>
  new ConnectError("this account's metrics are being rebuilt after an interrupted ingest; retry in a few seconds", Code.Unavailable);
