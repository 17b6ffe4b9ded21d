// The shipped alert rules (prometheus/): valid for promtool, their unit tests pass, and those tests catch a broken rule.
import {execFile} from 'node:child_process';
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import test from 'ava';
import {metricNames} from '../../source/core/prometheus/exporter-metrics.js';
import {promtoolBinary} from '../helpers/prometheus.js';

const folder = fileURLToPath(new URL('../../prometheus/', import.meta.url));
const rulesFile = path.join(folder, 'krazy-tui.rules.yml');
const testsFile = path.join(folder, 'tests', 'krazy-tui.rules.test.yml');

type Run = {code: number; output: string};

async function promtool(args: string[]): Promise<Run> {
	return new Promise(resolve => {
		execFile(promtoolBinary, args, {timeout: 60_000}, (error, stdout, stderr) => {
			const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
			resolve({code, output: stdout + stderr});
		});
	});
}

test('promtool check rules accepts the shipped rules', async t => {
	const run = await promtool(['check', 'rules', rulesFile]);
	t.is(run.code, 0, run.output);
	t.regex(run.output, /SUCCESS: 5 rules found/);
});

test('promtool test rules passes the shipped unit tests', async t => {
	const run = await promtool(['test', 'rules', testsFile]);
	t.is(run.code, 0, run.output);
	t.regex(run.output, /SUCCESS/);
});

/** Rules with one change, tested by the shipped tests (pointed at the changed copy). */
async function testMutant(change: (rules: string) => string): Promise<Run> {
	const directory = await mkdtemp(path.join(os.tmpdir(), 'krazy-rules-'));
	try {
		const rules = await readFile(rulesFile, 'utf8');
		const mutated = change(rules);
		if (mutated === rules) {
			throw new Error('the mutation changed nothing');
		}

		await writeFile(path.join(directory, 'rules.yml'), mutated);
		const tests = (await readFile(testsFile, 'utf8')).replace('../krazy-tui.rules.yml', 'rules.yml');
		await writeFile(path.join(directory, 'tests.yml'), tests);
		return await promtool(['test', 'rules', path.join(directory, 'tests.yml')]);
	} finally {
		await rm(directory, {recursive: true, force: true});
	}
}

const mutants: Array<[string, (rules: string) => string]> = [
	['crash-loop threshold raised', rules => rules.replace('[10m]) >= 3', '[10m]) >= 30')],
	['stopped services counted as looping', rules => rules.replace(' and on (device, service) gokrazy_service_stopped == 0', '')],
	['device down without waiting', rules => rules.replace(/(expr: gokrazy_device_up == 0\n\s+)for: 2m/, '$1for: 0m')],
	['build age in hours, not days', rules => rules.replace('/ 86400 > 30', '/ 3600 > 30')],
	['memory threshold inverted', rules => rules.replace('gokrazy_device_memory_total_bytes < 0.1', 'gokrazy_device_memory_total_bytes > 0.1')],
];

for (const [name, change] of mutants) {
	test(`the unit tests fail for a broken rule: ${name}`, async t => {
		const run = await testMutant(change);
		t.not(run.code, 0, `promtool test rules passed a broken rule (${name}):\n${run.output}`);
		t.regex(run.output, /FAILED/);
	});
}

test('every gokrazy_* metric the rules use is one the exporter serves', async t => {
	const rules = await readFile(rulesFile, 'utf8');
	const used = new Set(rules.match(/\bgokrazy_[a-z_]+/g) ?? []);
	t.true(used.size >= 5);
	const served = new Set<string>(Object.values(metricNames));
	t.deepEqual([...used].filter(name => !served.has(name)), []);
});
