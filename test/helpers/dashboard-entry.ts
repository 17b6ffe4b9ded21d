// Test-only entry: the dashboard over device URLs, as `krazy-tui URL...` will run it (until the CLI routes there).
// Usage: node --import=tsx test/helpers/dashboard-entry.ts [--readonly] [--node-exporter URL] [--poll MS] URL...
import {parseArgs} from 'node:util';
import {targetFromUrl} from '../../source/core/device-target.js';
import {runDashboard} from '../../source/ui/dashboard-app.js';

const {values, positionals} = parseArgs({
	allowPositionals: true,
	options: {
		readonly: {type: 'boolean'},
		'node-exporter': {type: 'string'},
		poll: {type: 'string'},
		'log-lines': {type: 'string'},
	},
});
const nodeExporter = values['node-exporter'];
process.exitCode = await runDashboard({
	targets: positionals.map(url => targetFromUrl(url)),
	readonly: values.readonly ?? false,
	settings: {
		pollIntervalMs: values.poll ? Number(values.poll) : 2000,
		logBufferLines: values['log-lines'] ? Number(values['log-lines']) : 10_000,
	},
	storeOptions: nodeExporter ? {nodeExporter: () => nodeExporter} : {nodeExporter: null},
});
