// The README's key list is the key table's: it cannot drift from what `?` shows in the dashboard.
import {readFileSync} from 'node:fs';
import test from 'ava';
import {readmePath, withKeyTable} from '../../scripts/readme-keys.js';
import {dashboardKeys} from '../../source/ui/dashboard-keys.js';
import {noKey} from '../../source/input/key-chunks.js';

test('README.md lists exactly the keys of the key table (npm run readme regenerates it)', t => {
	const readme = readFileSync(readmePath, 'utf8');
	t.is(readme, withKeyTable(readme));
	t.regex(readme, /\| `r` \| restart the service/);
});

test('the interaction design in the README names keys the key table binds to what it says they do', t => {
	const readme = readFileSync(readmePath, 'utf8');
	const design = readme.slice(readme.indexOf('## Dashboard keys'), readme.indexOf('<!-- keys:start -->'));
	const named: Array<[string, string, string[]]> = [
		['q', 'quit', ['devices', 'list', 'global']],
		['m', 'messages', ['devices', 'list', 'global']],
		['O', 'sort', ['devices', 'list', 'global']],
		['[', 'previousDevice', ['logs', 'global']],
		[']', 'nextDevice', ['services', 'list', 'global']],
		[':', 'palette', ['services', 'list', 'global']],
		['?', 'help', ['logs', 'global']],
		['W', 'logSave', ['logs', 'global']],
		['B', 'reboot', ['devices', 'list', 'global']],
		['P', 'poweroff', ['devices', 'list', 'global']],
	];
	for (const [input, intent, contexts] of named) {
		t.true(design.includes(`\`${input}\``), `the design names ${input}`);
		t.is(dashboardKeys.match(contexts as never, input, noKey) as string | undefined, intent, `${input} is ${intent}`);
	}

	t.is(dashboardKeys.match(['devices', 'list', 'global'], '', {...noKey, escape: true}), 'back', 'Esc goes back (never quit)');
});
