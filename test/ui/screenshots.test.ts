// The README shows every screenshot the script makes, and every picture it shows exists (npm run screenshots).
import {existsSync, readdirSync, readFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import test from 'ava';

const root = fileURLToPath(new URL('../..', import.meta.url));
const readme = readFileSync(`${root}README.md`, 'utf8');
const script = readFileSync(`${root}scripts/screenshots.ts`, 'utf8');

test('every screenshot is shown in the README, and every one it shows is there', t => {
	const shown = [...readme.matchAll(/\]\((screenshots\/[^)]+\.svg)\)/g)].map(match => match[1]!);
	const made = readdirSync(`${root}screenshots`).filter(name => name.endsWith('.svg')).map(name => `screenshots/${name}`);
	t.deepEqual([...new Set(shown)].sort(), made.sort());
	for (const file of shown) {
		t.true(existsSync(`${root}${file}`), file);
	}
});

test('the script makes each screen the README shows: dashboard, logs, help, shell, every wizard step, the wall', t => {
	for (const name of ['dashboard', 'dashboard-tall', 'logs', 'help', 'shell', 'flash-1-source', 'flash-2-target', 'flash-3-confirm', 'flash-4-write', 'flash-5-verify', 'flash-6-finish', 'wall']) {
		t.true(script.includes(`'${name}'`), name);
		t.true(readme.includes(`screenshots/${name}.svg`), name);
	}
});
