// An image path as a shell would take it: `~` is the home folder, Tab completes a name from what the folder holds.
import {readdir} from 'node:fs/promises';
import path from 'node:path';

/** `~` and `~/…` become the home folder; anything else is unchanged (`~user` is left alone). */
export function expandHome(text: string, home: string): string {
	if (text === '~') {
		return home;
	}

	return text.startsWith('~/') ? path.join(home, text.slice(2)) : text;
}

export type PathCompletion = {
	/** The typed text completed as far as it is unambiguous (the user's `~` kept); unchanged when nothing matches. */
	readonly value: string;
	/** The names that still match when there are several (at most `limit`), folders with a trailing `/`. */
	readonly candidates: readonly string[];
	/** How many names matched in all. */
	readonly matches: number;
};

/**
 * Completes the last part of `partial` from its folder (relative paths from `cwd`): one match is completed whole (a
 * folder gets its `/`), several to their longest common start; dot files only when the part starts with a dot.
 */
export async function completePath(partial: string, options: {home: string; cwd: string; limit?: number}): Promise<PathCompletion> {
	const expanded = expandHome(partial, options.home);
	const endsInSeparator = partial === '~' ? false : expanded.endsWith('/');
	const folder = partial === '~' ? expanded : endsInSeparator ? expanded : path.dirname(expanded);
	const prefix = partial === '~' || endsInSeparator ? '' : path.basename(expanded);
	if (partial === '~') {
		return {value: '~/', candidates: [], matches: 1};
	}

	let entries: Array<{name: string; folder: boolean}>;
	try {
		const listed = await readdir(path.resolve(options.cwd, folder), {withFileTypes: true});
		entries = listed.map(entry => ({name: entry.name, folder: entry.isDirectory()}));
	} catch {
		return {value: partial, candidates: [], matches: 0};
	}

	const matching = entries
		.filter(entry => entry.name.startsWith(prefix) && (prefix.startsWith('.') || !entry.name.startsWith('.')))
		.sort((a, b) => a.name.localeCompare(b.name));
	if (matching.length === 0) {
		return {value: partial, candidates: [], matches: 0};
	}

	if (matching.length === 1) {
		const only = matching[0]!;
		return {value: partial + only.name.slice(prefix.length) + (only.folder ? '/' : ''), candidates: [], matches: 1};
	}

	let common = matching[0]!.name;
	for (const entry of matching) {
		while (!entry.name.startsWith(common)) {
			common = common.slice(0, -1);
		}
	}

	return {
		value: partial + common.slice(prefix.length),
		candidates: matching.slice(0, options.limit ?? 8).map(entry => `${entry.name}${entry.folder ? '/' : ''}`),
		matches: matching.length,
	};
}
