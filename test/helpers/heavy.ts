/**
 * The time limit of a test whose own work (thousands of events ingested, migrations over every
 * account, service processes started and stopped) is most of its time: 10-40 s on a loaded 2-core
 * machine (measured with two CPU hogs and an fsync loop beside the suite), where vitest's 60 s
 * default left too little room. Not a claim about speed (benchmarks make those, in bench/): it
 * only stops a test that hangs.
 */
export const HEAVY_TEST_MS = 240_000;
