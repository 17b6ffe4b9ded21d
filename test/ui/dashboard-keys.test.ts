// The one key table: lookup by context, read-only, and the help and README list generated from it.
import test from 'ava';
import type {Key} from 'ink';
import {dashboardHelpSections, dashboardKeys} from '../../source/ui/dashboard-keys.js';
import {flashKeys} from '../../source/ui/flash/flash-keys.js';

const keyTable = dashboardKeys.bindings;
const matchKey = dashboardKeys.match;
const helpSections = dashboardKeys.helpSections;
const keyTableMarkdown = dashboardKeys.markdown;
const keyHints = dashboardKeys.hints;

const noKey: Key = {
	upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false,
	end: false, return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false,
	meta: false, super: false, hyper: false, capsLock: false, numLock: false,
};

test('the same key means different things by context', t => {
	t.is(matchKey(['services', 'list', 'global'], 'r', noKey), 'restart');
	t.is(matchKey(['logs', 'global'], '/', noKey), 'logSearch');
	t.is(matchKey(['services', 'list', 'global'], '/', noKey), 'filter');
	t.is(matchKey(['logs', 'global'], 'n', noKey), 'logNext');
	t.is(matchKey(['dialog'], 'n', noKey), 'cancel');
	t.is(matchKey(['devices', 'list', 'global'], '', {...noKey, downArrow: true}), 'down');
	t.is(matchKey(['devices', 'list', 'global'], 'c', {...noKey, ctrl: true}), 'quit');
	t.is(matchKey(['devices', 'list', 'global'], 'c', noKey), undefined);
	t.is(matchKey(['devices', 'list', 'global'], 'x', noKey), undefined);
	// Esc goes back everywhere: no context makes it quit.
	for (const contexts of [['devices', 'list', 'global'], ['services', 'list', 'global'], ['logs', 'global'], ['help', 'global'], ['messages', 'global']] as const) {
		t.is(matchKey(contexts, '', {...noKey, escape: true}), 'back');
	}

	t.is(matchKey(['logs', 'global'], ']', noKey), 'nextDevice');
	t.is(matchKey(['services', 'list', 'global'], '[', noKey), 'previousDevice');
	t.is(matchKey(['logs', 'global'], ':', noKey), 'palette');
	t.is(matchKey(['devices', 'list', 'global'], 'm', noKey), 'messages');
	t.is(matchKey(['devices', 'list', 'global'], 'O', noKey), 'sort');
});

test('read-only ignores every action key', t => {
	for (const binding of keyTable.filter(entry => entry.action)) {
		for (const spec of binding.keys) {
			const intent = matchKey(binding.contexts, spec.input ?? '', spec.key ? {...noKey, [spec.key]: true} : noKey, {readonly: true});
			t.not(intent, binding.intent, `${binding.intent} still reachable`);
		}
	}
});

test('the help lists every binding once; read-only help lists no action', t => {
	const all = helpSections().flatMap(section => section.rows);
	t.is(all.length, keyTable.length);
	const descriptions = new Set(all.map(row => row.description.replace(/ \(also in .*\)$/, '')));
	for (const binding of keyTable) {
		t.true(descriptions.has(binding.description), binding.description);
	}

	const readonlyRows = helpSections({readonly: true}).flatMap(section => section.rows);
	t.is(readonlyRows.length, keyTable.filter(binding => !binding.action).length);
	t.false(readonlyRows.some(row => row.description.startsWith('restart')));
});

test('the README key list is a markdown table per section, made from the same table', t => {
	const markdown = keyTableMarkdown();
	t.regex(markdown, /\*\*Everywhere\*\*\n\n\| Key \| What it does \|\n\| --- \| --- \|\n\| `\?` \| show or hide the help \(the current view's keys first\) \|/);
	t.regex(markdown, /\| `r` \| restart the service/);
	t.regex(markdown, /\| `PgUp` \| one page up/);
	t.is((markdown.match(/^\| `/gm) ?? []).length, keyTable.length);
});

test('hints name keys by the table and drop actions when read-only', t => {
	t.is(keyHints(['help', 'restart', 'quit']), '? help · r restart · q quit');
	t.is(keyHints(['help', 'restart', 'quit'], {readonly: true}), '? help · q quit');
});

test('the help overlay ends with the flashing wizard\'s keys, hidden when read-only like the f that opens it', t => {
	const sections = dashboardHelpSections();
	t.is(sections.at(-1)?.title, 'Flashing wizard (f)');
	t.is(sections.at(-1)?.rows.length, flashKeys.bindings.length);
	t.false(dashboardHelpSections({readonly: true}).some(section => section.title.startsWith('Flashing')));
});
