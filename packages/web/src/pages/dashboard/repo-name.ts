/** The last part of a repository path or URL: `/home/ann/src/api` → `api`. */
export function repoName(repo: string): string {
  const trimmed = repo.replace(/[/\\]+$/, '').replace(/\.git$/, '');
  return trimmed.split(/[/\\:]/).pop() || repo;
}
