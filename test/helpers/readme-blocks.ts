/**
 * The fenced code blocks of a README, for tests that run its examples as a user copies them: a
 * README example that stops running then fails the suite instead of the next new user.
 */

/** The bodies of `markdown`'s ```LANG blocks, in order (the fence lines left out). */
export function fencedBlocks(markdown: string, lang: string): string[] {
  return [...markdown.matchAll(new RegExp('^```' + lang + '\\n([\\s\\S]*?)^```', 'gm'))].map((m) => m[1]!);
}
