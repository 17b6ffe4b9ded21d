// `krazy-tui status [DEVICE...] [--json]`: every device and its services, once.
import {DeviceClient} from '../core/device-client.js';
import {DeviceError} from '../core/device-error.js';
import {healthFromError, type DeviceHealth} from '../core/device-health.js';
import {serviceName, serviceState, type DeviceOverview, type HtmlOverview} from '../core/device-model.js';
import type {DeviceTarget} from '../core/device-target.js';
import {jsonForTerminal} from '../core/sanitize-terminal.js';
import {readSettings} from '../core/settings.js';
import {registryOptionsFrom} from '../core/device-registry.js';
import {longBytes, shortDuration} from '../display/units.js';
import {healthLook, lookText, stateLook} from '../display/vocabulary.js';
import {alertLines, attachPrometheus, readPrometheus, renderPrometheusHuman, type AlertReport} from './status-prometheus.js';
import {parseCommandArgs, UsageError, type Command} from './command-io.js';
import {deviceFlags, failureLine, reportProblems, resolveFleet, writeErrorLine, writeLine} from './device-options.js';

const help = `Usage: krazy-tui status [DEVICE...] [--json] [--prometheus URL|off] [--password-file FILE] [--timeout SECONDS]

Shows each device (all known devices when none is given) and its services, once.
--prometheus URL (default: the saved prometheusUrl setting; off: none) adds the alerts Prometheus holds on each
device and service and, without DEVICE, the devices only Prometheus knows.
DEVICE is a gok instance name, a saved device name, or http[s]://[gokrazy:PASSWORD@]host[:port].
Exit status 1 when any device could not be asked; each failure is one line on stderr.`;

type DeviceReport = {
	name: string;
	url: string;
	online: boolean;
	error: string | null;
	/** For people: what kind of trouble (not in --json, which has `error`). */
	health: DeviceHealth;
	hostname: string | null;
	model: string | null;
	kernel: string | null;
	buildTimestamp: string | null;
	memory: {total: number; available: number} | null;
	services: Array<{
		path: string;
		name: string;
		state: 'running' | 'stopped' | 'restarting';
		pid: number;
		startTime: string | null;
		args: string[];
		rss: number | null;
		alerts?: AlertReport[];
	}>;
	/** With --prometheus: the alerts Prometheus holds on this device (service ones too). */
	alerts?: AlertReport[];
};

async function ask(target: DeviceTarget, timeout: number | undefined, signal: AbortSignal): Promise<DeviceReport> {
	const client = new DeviceClient(target, {timeoutMs: timeout, signal});
	const report: DeviceReport = {
		name: target.name, url: target.url, online: false, error: null, health: 'connecting', hostname: null, model: null, kernel: null,
		buildTimestamp: null, memory: null, services: [],
	};
	try {
		// The HTML overview only adds RSS: a device whose HTML fails is still online.
		const [overview, html] = await Promise.all([
			client.overview(),
			client.htmlOverview().catch(() => undefined),
		]);
		fill(report, overview, html);
	} catch (error) {
		report.error = failureLine(error, target.name);
		report.health = healthFromError(error instanceof DeviceError ? error.kind : 'unreachable');
	} finally {
		client.close();
	}

	return report;
}

function fill(report: DeviceReport, overview: DeviceOverview, html: HtmlOverview | undefined): void {
	const now = Date.now();
	report.online = true;
	report.health = 'online';
	report.hostname = overview.hostname;
	report.model = overview.model;
	report.kernel = overview.kernel;
	report.buildTimestamp = overview.buildTimestamp || null;
	report.memory = overview.memory;
	report.services = overview.services.map(service => ({
		path: service.path,
		name: serviceName(service.path),
		state: serviceState(service, now),
		pid: service.pid,
		startTime: service.startTime?.toISOString() ?? null,
		args: service.args,
		rss: html?.rss.get(service.path) ?? null,
	}));
}

type TextTools = {textWidth: (text: string) => number; clean: (text: string | null | undefined) => string};

/** The table for people. Measuring text in columns loads its libraries (~100 ms): only this path pays for them. */
async function loadTextTools(): Promise<TextTools> {
	const [{textWidth}, {clean}] = await Promise.all([import('../display/columns.js'), import('../display/device-text.js')]);
	return {textWidth, clean};
}

function renderHuman(report: DeviceReport, {textWidth, clean}: TextTools): string {
	/** Pads to `width` columns (never cuts: a terminal or a pager shows the whole name). */
	const pad = (text: string, width: number) => text + ' '.repeat(Math.max(0, width - textWidth(text)));
	// The device answered, with 401: not offline, not "unreachable", but refused (the cause is on stderr).
	const health = report.health === 'auth' ? `${healthLook.auth.mark} unauthorized (401)` : lookText(healthLook[report.health]);
	if (!report.online) {
		return [`${clean(report.name)}  ${report.url}  ${health}`, ...alertLines(report.alerts ?? [])].join('\n') + '\n';
	}

	const memory = report.memory
		? `  memory ${longBytes(report.memory.total - report.memory.available)} of ${longBytes(report.memory.total)} in use`
		: '';
	const lines = [`${clean(report.name)}  ${report.url}  ${health}  ${clean(report.hostname)} · ${clean(report.model)}${memory}`];
	const now = Date.now();
	const width = Math.max(8, ...report.services.map(service => textWidth(clean(service.path))));
	lines.push(`  ${pad('SERVICE', width)}  ${pad('STATE', 12)}  ${pad('PID', 7)}  ${pad('UP', 6)}  RSS`);
	for (const service of report.services) {
		const up = service.state === 'stopped' || service.startTime === null ? '-' : shortDuration(now - Date.parse(service.startTime));
		const rss = service.rss === null ? '-' : longBytes(service.rss);
		lines.push(`  ${pad(clean(service.path), width)}  ${pad(lookText(stateLook[service.state]), 12)}  ${pad(String(service.pid || '-'), 7)}  ${pad(up, 6)}  ${rss}`);
	}

	lines.push(...alertLines(report.alerts ?? []));

	return lines.join('\n') + '\n';
}

export const statusCommand: Command = async (args, io) => {
	const {values, positionals} = parseCommandArgs('status', args, {...deviceFlags, json: {type: 'boolean'}, prometheus: {type: 'string'}});
	if (values.help) {
		writeLine(io.stdout, help);
		return 0;
	}

	const prometheusUrl = values.prometheus === 'off'
		? null
		: values.prometheus ?? (await readSettings(registryOptionsFrom(io.env))).settings.prometheusUrl;
	// With Prometheus, no configured device is fine: the devices only it knows are listed.
	const {targets, problems, timeoutMs: timeout} = await resolveFleet('status', positionals, values, io, {allowNone: prometheusUrl !== null});
	reportProblems(io, problems);
	if (new Set(targets.map(target => target.name)).size !== targets.length) {
		throw new UsageError('status: the same device was given twice');
	}

	const [reports, prometheusRead] = await Promise.all([
		Promise.all(targets.map(async target => ask(target, timeout, io.signal))),
		prometheusUrl === null ? undefined : readPrometheus(prometheusUrl, timeout, io.signal),
	]);
	if (io.signal.aborted) {
		// Ctrl-C: every request ended at once; half-asked devices are not reported as offline.
		writeErrorLine(io.stderr, 'status: interrupted');
		return 130;
	}

	const prometheus = prometheusRead && attachPrometheus(reports, prometheusUrl!, prometheusRead, positionals.length === 0);
	if (values.json) {
		io.stdout.write(jsonForTerminal(prometheus
			? {devices: reports.map(({health: _health, ...report}) => report), prometheus}
			: {devices: reports.map(({health: _health, ...report}) => report)}) + '\n');
	} else {
		const tools = await loadTextTools();
		io.stdout.write(reports.map(report => renderHuman(report, tools)).join('\n'));
		if (prometheus) {
			io.stdout.write((reports.length > 0 ? '\n' : '') + renderPrometheusHuman(prometheus));
		}
	}

	for (const warning of prometheus?.warnings ?? []) {
		writeErrorLine(io.stderr, warning);
	}

	if (prometheus?.error) {
		writeErrorLine(io.stderr, prometheus.error);
	}

	let failed = 0;
	for (const report of reports) {
		if (report.error !== null) {
			failed++;
			writeErrorLine(io.stderr, report.error);
		}
	}

	return failed > 0 || prometheus?.error ? 1 : 0;
};
