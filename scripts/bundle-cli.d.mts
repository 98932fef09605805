// Types for the exports of bundle-cli.mjs, for the TypeScript code that imports them.
export declare function bundleCli(options?: { dist?: string; outfile?: string }): Promise<{ outfile: string; inputs: string[] }>;
