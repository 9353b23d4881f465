// Types of scripts/generate.mjs, for vite.config.ts.
export declare const EXAMPLE_LESSONS: string[];
export declare function generateTypes(): Promise<boolean>;
export declare function generateExamples(): Promise<{ engine: string; changed: boolean }>;
export declare function generate(options?: { typesOnly?: boolean }): Promise<void>;
