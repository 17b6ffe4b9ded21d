// Bench: time to the dashboard's first full frame, as a ratio to a bare Ink "hello" program measured in the same run.
//
//   npm run build && node --import=tsx bench/dashboard-startup.ts [--runs 9] [--devices 6]
//
// Both run from a real pseudo-terminal. "First frame": the dashboard's layout is on screen (title, device list,
// services and graphs panes) with every device in it, as a placeholder while it connects: devices never pop in one
// by one (the run fails if the first frame lacks one). "With data": the first device is drawn online with its
// services. Goal (issue 16): first full frame with 6 devices ≤ 1.3 × the hello program.
import {parseArgs} from 'node:util';
import {benchConfigDir, median, report} from './bench-util.js';
import {startDemoFleetProcess, startOnPty} from './dashboard-pty.js';

const {values} = parseArgs({options: {runs: {type: 'string', default: '9'}, devices: {type: 'string', default: '6'}}});
const runs = Number(values.runs);
const deviceCount = Number(values.devices);

const helloProgram = "import React from 'react'; import {render, Text} from 'ink'; const app = render(React.createElement(Text, null, 'hello from ink')); setTimeout(() => app.unmount(), 200);";

const fleet = await startDemoFleetProcess(deviceCount, ['--light']);
// URL targets are named host:port; every one of them must be in the first full frame.
const names = fleet.urls.map(url => new URL(url).host);
let missingInFirstFrame = 0;
const hello: number[] = [];
const firstFrame: number[] = [];
const withData: number[] = [];
try {
	for (let run = 0; run < runs; run++) {
		// Alternate, so drift in the machine's load hits both alike.
		const started = performance.now();
		const helloRun = startOnPty(process.execPath, ['--input-type=module', '-e', helloProgram]);
		hello.push(await helloRun.waitFor(/hello from ink/, started));
		await helloRun.kill();

		const dashboardStart = performance.now();
		const dashboard = startOnPty(process.execPath, ['dist/cli.js', ...fleet.urls], {env: {KRAZY_TUI_CONFIG_DIR: benchConfigDir()}});
		firstFrame.push(await dashboard.waitFor(/krazy-tui ·[\s\S]*Services[\s\S]*Graphs/, dashboardStart));
		// The text up to the end of that first frame (its graphs title): every device must be in it already.
		const first = /^[\s\S]*?krazy-tui ·[\s\S]*?Services[\s\S]*?Graphs/.exec(dashboard.text())?.[0] ?? '';
		missingInFirstFrame += names.filter(name => !first.includes(name)).length;
		withData.push(await dashboard.waitFor(/● online[\s\S]*\/user\//, dashboardStart));
		await dashboard.kill();
	}
} finally {
	await fleet.stop();
}

const helloMs = median(hello);
const firstMs = median(firstFrame);
const dataMs = median(withData);
report(`dashboard startup with ${deviceCount} devices (median of ${runs} runs, pty 100×30)`, [
	{name: 'bare Ink hello: first frame', value: helloMs, unit: 'ms'},
	{name: 'dashboard: first full frame', value: firstMs, unit: 'ms'},
	{name: 'dashboard: first frame with the device online', value: dataMs, unit: 'ms'},
	{name: 'first full frame / Ink hello', value: firstMs / helloMs, unit: 'ratio', goal: '≤ 1.3', pass: firstMs / helloMs <= 1.3},
	{name: 'first frame with data / Ink hello', value: dataMs / helloMs, unit: 'ratio'},
	{name: 'devices missing from a first full frame (all runs)', value: missingInFirstFrame, unit: 'devices', goal: '0', pass: missingInFirstFrame === 0},
]);
