// Finishes `npm run build`: marks the CLI executable and copies the demo device's shell programs next to the compiled code.
import {chmodSync, cpSync, existsSync} from 'node:fs';

chmodSync('dist/cli.js', 0o755);
if (existsSync('source/demo/programs')) {
	cpSync('source/demo/programs', 'dist/demo/programs', {
		recursive: true,
		filter: source => !source.endsWith('.ts'),
	});
}
