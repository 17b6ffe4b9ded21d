// The layering, read from the import graph of source/ so it cannot rot: core imports no screen, a scripted command
// loads no React, Ink or blessed until it asks for a screen, and neither renderer (ui/ Ink, wall/ blessed) imports
// the other; display/ and input/, which both share, import neither.
import {readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import test from 'ava';

const sourceRoot = fileURLToPath(new URL('../source/', import.meta.url));
const renderers = ['react', 'ink', 'blessed', 'blessed-contrib', 'react-reconciler'];

type Import = {specifier: string; dynamic: boolean; typeOnly: boolean; target: string};

function files(dir: string): string[] {
	return readdirSync(dir, {withFileTypes: true}).flatMap(entry => {
		const full = path.join(dir, entry.name);
		return entry.isDirectory() ? files(full) : /\.tsx?$/.test(entry.name) ? [full] : [];
	});
}

/** A package name (`blessed-contrib/lib/…` → blessed-contrib), or a source file relative to source/. */
function resolve(from: string, specifier: string): string {
	if (!specifier.startsWith('.')) {
		return specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
	}

	const absolute = path.resolve(path.dirname(from), specifier).replace(/\.js$/, '');
	const candidates = [`${absolute}.ts`, `${absolute}.tsx`];
	const found = candidates.find(candidate => allFiles.includes(candidate));
	return found ? path.relative(sourceRoot, found) : `?${specifier}`;
}

function importsOf(file: string): Import[] {
	const text = readFileSync(file, 'utf8');
	const found: Import[] = [];
	for (const match of text.matchAll(/^(?:import|export)\s+([^;]*?)\s+from\s+'([^']+)'/gms)) {
		const clause = match[1]!;
		const names = /\{([^}]*)\}/.exec(clause)?.[1]?.split(',').map(name => name.trim()).filter(Boolean) ?? [];
		const typeOnly = /^type\s/.test(clause) || (names.length > 0 && !/^[\w$]+\s*,/.test(clause) && !clause.includes('* as') && names.every(name => name.startsWith('type ')));
		found.push({specifier: match[2]!, dynamic: false, typeOnly, target: resolve(file, match[2]!)});
	}

	for (const match of text.matchAll(/^import\s+'([^']+)'/gm)) {
		found.push({specifier: match[1]!, dynamic: false, typeOnly: false, target: resolve(file, match[1]!)});
	}

	for (const match of text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) {
		found.push({specifier: match[1]!, dynamic: true, typeOnly: false, target: resolve(file, match[1]!)});
	}

	// `require('…')` of a package (blessed-contrib's widget files) loads it as surely as an import.
	for (const match of text.matchAll(/\brequire\(\s*'([^']+)'\s*\)/g)) {
		found.push({specifier: match[1]!, dynamic: false, typeOnly: false, target: resolve(file, match[1]!)});
	}

	return found;
}

const allFiles = files(sourceRoot);
const graph = new Map(allFiles.map(file => [path.relative(sourceRoot, file), importsOf(file)]));
const room = (file: string) => file.split(path.sep)[0]!;

/** Everything a module loads as soon as it is loaded: static, non-type imports, followed through source files. */
function staticClosure(start: string): Set<string> {
	const seen = new Set<string>([start]);
	const queue = [start];
	while (queue.length > 0) {
		for (const entry of graph.get(queue.shift()!) ?? []) {
			if (entry.dynamic || entry.typeOnly || seen.has(entry.target)) {
				continue;
			}

			seen.add(entry.target);
			if (graph.has(entry.target)) {
				queue.push(entry.target);
			}
		}
	}

	return seen;
}

test('the import graph is read: every relative import resolves to a source file', t => {
	const unresolved = [...graph].flatMap(([file, entries]) => entries.filter(entry => entry.target.startsWith('?')).map(entry => `${file} → ${entry.specifier}`));
	t.deepEqual(unresolved, []);
	t.true(graph.size > 100);
	t.true(graph.get('ui/dashboard.tsx')!.some(entry => entry.target === 'ink' && !entry.typeOnly), 'a known import of Ink is found');
});

test('core imports no screen: nothing of ui/, wall/, display/, input/, commands/, and no React, Ink or blessed', t => {
	const wrong = [...graph]
		.filter(([file]) => room(file) === 'core')
		.flatMap(([file, entries]) => entries
			.filter(entry => ['ui', 'wall', 'display', 'input', 'commands'].includes(room(entry.target)) || renderers.includes(entry.target))
			.map(entry => `${file} → ${entry.specifier}`));
	t.deepEqual(wrong, []);
});

// Measuring text in columns costs ~100 ms of start-up (string-width builds its Unicode tables when loaded): Ink loads it
// anyway, a scripted command only when it draws a table for a person.
const textLibraries = ['string-width', 'cli-truncate', 'wrap-ansi', 'slice-ansi'];

test('a scripted command loads no React, Ink or blessed until it asks for a screen (only lazily, with import()), nor the text-measuring libraries', t => {
	const entries = ['cli.ts', ...[...graph.keys()].filter(file => room(file) === 'commands')];
	for (const entry of entries) {
		const loaded = [...staticClosure(entry)].filter(target => renderers.includes(target) || textLibraries.includes(target) || ['ui', 'wall'].includes(room(target)));
		t.deepEqual(loaded, [], `${entry} loads ${loaded.join(', ')}`);
	}
});

test('one renderer never imports the other: ui/ (Ink) and wall/ (blessed) share only display/, input/ and core', t => {
	const wrong = [...graph].flatMap(([file, entries]) => entries
		.filter(entry => (room(file) === 'ui' && (room(entry.target) === 'wall' || entry.target.startsWith('blessed')))
			|| (room(file) === 'wall' && (room(entry.target) === 'ui' || ['react', 'ink'].includes(entry.target))))
		.map(entry => `${file} → ${entry.specifier}`));
	t.deepEqual(wrong, []);
});

test('display/ and input/ are renderer-neutral: no ui/, wall/, React, Ink or blessed', t => {
	const wrong = [...graph]
		.filter(([file]) => ['display', 'input'].includes(room(file)))
		.flatMap(([file, entries]) => entries
			.filter(entry => ['ui', 'wall', 'commands'].includes(room(entry.target)) || renderers.includes(entry.target))
			.map(entry => `${file} → ${entry.specifier}`));
	t.deepEqual(wrong, []);
});

test('the dashboard\'s first frame does not wait for the update jobs: the push, rollback, rollout, gok build and archive reader load when a job starts', t => {
	const jobs = ['core/update/update-job.ts', 'core/update/fleet-rollout.ts', 'core/update/update-build.ts', 'core/update/gaf-archive.ts', 'yauzl'];
	for (const entry of ['commands/dashboard.ts', 'ui/dashboard-app.tsx', 'ui/dashboard.tsx']) {
		const loaded = [...staticClosure(entry)].filter(target => jobs.includes(target));
		t.deepEqual(loaded, [], `${entry} loads ${loaded.join(', ')}`);
	}

	t.true(graph.get('ui/update/update-controller.ts')!.some(entry => entry.target === 'core/update/update-job.ts' && entry.dynamic), 'the controller loads them with import()');
});

test('the dashboard\'s first frame does not wait for what it does not draw: help, message log, palette, update and history panes, Prometheus, the answers\' parsers', t => {
	const later = ['ui/components/help-view.tsx', 'ui/components/overlays.tsx', 'ui/components/update-pane.tsx', 'ui/components/history-pane.tsx', 'ui/prometheus/prometheus-link.ts', 'core/prometheus/prometheus-client.ts', 'core/overview-parser.ts', 'entities'];
	for (const entry of ['commands/dashboard.ts', 'ui/dashboard-app.tsx', 'ui/dashboard.tsx']) {
		const loaded = [...staticClosure(entry)].filter(target => later.includes(target));
		t.deepEqual(loaded, [], `${entry} loads ${loaded.join(', ')}`);
	}

	for (const view of ['./components/help-view.js', './components/overlays.js', './components/update-pane.js', './components/history-pane.js']) {
		t.true(graph.get('ui/dashboard.tsx')!.some(entry => entry.specifier === view && entry.dynamic), `dashboard.tsx loads ${view} with import()`);
	}
});
