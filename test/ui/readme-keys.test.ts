// The README's key list is the key table's: it cannot drift from what `?` shows in the dashboard.
import {readFileSync} from 'node:fs';
import test from 'ava';
import {readmePath, withKeyTable} from '../../scripts/readme-keys.js';

test('README.md lists exactly the keys of the key table (npm run readme regenerates it)', t => {
	const readme = readFileSync(readmePath, 'utf8');
	t.is(readme, withKeyTable(readme));
	t.regex(readme, /\| `r` \| restart the service/);
});
