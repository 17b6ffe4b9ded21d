// Finds a program on a PATH the caller chooses (tests hand in one without sudo, or with stand-ins for udisksctl and gok).
import {constants} from 'node:fs';
import {access} from 'node:fs/promises';
import path from 'node:path';

/** The absolute path of `name` on `env.PATH`, or undefined. */
export async function findProgram(name: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
	for (const dir of (env.PATH ?? '').split(path.delimiter)) {
		if (dir === '') {
			continue;
		}

		const candidate = path.join(dir, name);
		try {
			await access(candidate, constants.X_OK);
			return candidate;
		} catch {
			// Not in this folder.
		}
	}

	return undefined;
}
