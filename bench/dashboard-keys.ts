// Bench: key to frame on the device list with 50 devices, against a bare Ink program that redraws on a key, same run.
//
//   npm run build && node --import=tsx bench/dashboard-keys.ts [--devices 50] [--keys 40]
//
// Both on a real pseudo-terminal (100×30). The dashboard watches the light demo fleet (`demo --serve --light`), every
// device online and polled every 2 s, as in use. A key is `j` (or `k` on the way back); its frame is the first output
// after the key that shows the selection on the next device. The baseline program draws a counter that each key
// increments. Goal (issue 16): median key-to-frame < 50 ms with 50 devices.
import {parseArgs} from 'node:util';
import {median, report} from './bench-util.js';
import {startDemoFleetProcess, startOnPty} from './dashboard-pty.js';

const {values} = parseArgs({options: {devices: {type: 'string', default: '50'}, keys: {type: 'string', default: '40'}}});
const deviceCount = Number(values.devices);
const keyCount = Number(values.keys);

const echoProgram = [
	"import React, {useState} from 'react';",
	"import {render, Text, useInput} from 'ink';",
	'function Echo() {',
	'  const [count, setCount] = useState(0);',
	"  useInput(input => { if (input === 'q') { process.exit(0); } setCount(value => value + 1); });",
	"  return React.createElement(Text, null, `keys: ${count}.`);",
	'}',
	'render(React.createElement(Echo));',
].join(' ');

const escape = (text: string) => text.replaceAll(/[.*+?^${}()|[\]\\]/g, '\\$&');
const pause = async (ms: number) => new Promise(resolve => {
	setTimeout(resolve, ms);
});

const fleet = await startDemoFleetProcess(deviceCount, ['--light']);
const names = fleet.urls.map(url => new URL(url).host);
const baseline: number[] = [];
const dashboardTimes: number[] = [];
try {
	const echo = startOnPty(process.execPath, ['--input-type=module', '-e', echoProgram]);
	await echo.waitFor(/keys: 0\./);
	for (let key = 1; key <= keyCount; key++) {
		await pause(60);
		const sent = performance.now();
		echo.write('j');
		baseline.push(await echo.waitFor(new RegExp(`keys: ${key}\\.`), sent));
	}

	await echo.kill();

	const dashboard = startOnPty(process.execPath, ['dist/cli.js', ...fleet.urls], {env: {KRAZY_TUI_CONFIG_DIR: `/tmp/krazy-bench-keys-${process.pid}`}});
	// Every device answered once: the list is what it is in use.
	await dashboard.waitFor(new RegExp(`${deviceCount} online`), 0, 120_000);
	let index = 0;
	for (let key = 0; key < keyCount; key++) {
		await pause(60);
		// Down to the 20th device and back up, and again: the list scrolls at 100×30 too.
		const down = Math.floor(key / 20) % 2 === 0;
		index += down ? 1 : -1;
		const sent = performance.now();
		dashboard.write(down ? 'j' : 'k');
		dashboardTimes.push(await dashboard.waitFor(new RegExp(`▸ [^\\n]*?${escape(names[index]!)}`), sent));
	}

	await dashboard.kill();
} finally {
	await fleet.stop();
}

const baselineMs = median(baseline);
const dashboardMs = median(dashboardTimes);
report(`key to frame on the device list, ${deviceCount} devices (median of ${keyCount} keys, pty 100×30)`, [
	{name: 'bare Ink key echo: key to frame', value: baselineMs, unit: 'ms'},
	{name: 'dashboard: key to frame', value: dashboardMs, unit: 'ms', goal: '< 50', pass: dashboardMs < 50},
	{name: 'dashboard / bare Ink echo', value: dashboardMs / baselineMs, unit: 'ratio'},
	{name: 'dashboard: slowest key', value: Math.max(...dashboardTimes), unit: 'ms'},
]);
