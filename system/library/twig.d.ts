// Types for the parts of twig.js (the `twig` package) this project uses.
declare module 'twig' {
  interface Template { render(context?: Record<string, unknown>): string }
  interface TwigOptions { data?: string; path?: string; id?: string; autoescape?: boolean | string; async?: boolean; rethrow?: boolean; allowInlineIncludes?: boolean; namespaces?: Record<string, string> }
  const Twig: { twig(options: TwigOptions): Template; cache(enabled: boolean): void; extendFilter(name: string, fn: (value: unknown, args?: unknown[]) => unknown): void };
  export default Twig;
}
