// Types for the exports of validate-live-coverage.mjs, for the TypeScript tests that import them.
export declare const SURFACE_IDS: readonly string[];
export declare const STATUSES: readonly string[];
export declare function findTestCalls(source: string): Array<{ callee: string; name: string }>;
export declare function renderTable(doc: {
  surfaces: Array<{ id: string; name: string; status: string; liveTests: string[]; nextGap: string }>;
}): string;
