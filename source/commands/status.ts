// `krazy-tui status [DEVICE...] [--json]`: every device and its services, once.
import {DeviceClient} from '../core/device-client.js';
import {DeviceError} from '../core/device-error.js';
import {serviceName, serviceState, type DeviceOverview, type HtmlOverview} from '../core/device-model.js';
import type {DeviceTarget} from '../core/device-target.js';
import {listKnownDevices, registryOptionsFrom} from '../core/device-registry.js';
import {jsonForTerminal, sanitizeForTerminal} from '../core/sanitize-terminal.js';
import {readSettings} from '../core/settings.js';
import {alertLines, attachPrometheus, readPrometheus, renderPrometheusHuman, type AlertReport} from './status-prometheus.js';
import {parseCommandArgs, UsageError, type Command} from './command-io.js';
import {deviceFlags, failureLine, resolveTarget, timeoutMs, writeErrorLine, writeLine} from './device-options.js';

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
		name: target.name, url: target.url, online: false, error: null, hostname: null, model: null, kernel: null,
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
	} finally {
		client.close();
	}

	return report;
}

function fill(report: DeviceReport, overview: DeviceOverview, html: HtmlOverview | undefined): void {
	const now = Date.now();
	report.online = true;
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

function formatBytes(bytes: number): string {
	const mib = bytes / 1024 / 1024;
	return mib >= 1024 ? `${(mib / 1024).toFixed(1)} GiB` : `${mib.toFixed(1)} MiB`;
}

function formatAge(startTime: string | null, now: number): string {
	if (startTime === null) {
		return '-';
	}

	const seconds = Math.max(0, Math.round((now - Date.parse(startTime)) / 1000));
	if (seconds < 120) {
		return `${seconds}s`;
	}

	if (seconds < 7200) {
		return `${Math.round(seconds / 60)}m`;
	}

	return seconds < 172_800 ? `${Math.round(seconds / 3600)}h` : `${Math.round(seconds / 86_400)}d`;
}

function pad(text: string, width: number): string {
	return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

function renderHuman(report: DeviceReport): string {
	const clean = (text: string | null) => sanitizeForTerminal(text ?? '');
	if (!report.online) {
		return [`${clean(report.name)}  ${report.url}  OFFLINE`, ...alertLines(report.alerts ?? [])].join('\n') + '\n';
	}

	const memory = report.memory
		? `  memory ${formatBytes(report.memory.total - report.memory.available)} of ${formatBytes(report.memory.total)} in use`
		: '';
	const lines = [`${clean(report.name)}  ${report.url}  online  ${clean(report.hostname)} · ${clean(report.model)}${memory}`];
	const now = Date.now();
	const width = Math.max(8, ...report.services.map(service => service.path.length));
	lines.push(`  ${pad('SERVICE', width)}  ${pad('STATE', 10)}  ${pad('PID', 7)}  ${pad('UP', 5)}  RSS`);
	for (const service of report.services) {
		const up = service.state === 'stopped' ? '-' : formatAge(service.startTime, now);
		const rss = service.rss === null ? '-' : formatBytes(service.rss);
		lines.push(`  ${pad(clean(service.path), width)}  ${pad(service.state, 10)}  ${pad(String(service.pid || '-'), 7)}  ${pad(up, 5)}  ${rss}`);
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

	const timeout = timeoutMs('status', values);
	const prometheusUrl = values.prometheus === 'off'
		? null
		: values.prometheus ?? (await readSettings(registryOptionsFrom(io.env))).settings.prometheusUrl;
	let targets: DeviceTarget[];
	if (positionals.length > 0) {
		targets = await Promise.all(positionals.map(async spec => resolveTarget(spec, values, io)));
	} else {
		const known = await listKnownDevices(registryOptionsFrom(io.env));
		for (const problem of known.problems) {
			writeErrorLine(io.stderr, problem.message);
		}

		targets = known.targets;
		if (targets.length === 0 && prometheusUrl === null) {
			throw new DeviceError('krazy-tui', 'config', 'no devices known: create one with gok new, add one with "krazy-tui devices add NAME URL", give a URL, or try "krazy-tui demo"');
		}
	}

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
		io.stdout.write(jsonForTerminal(prometheus ? {devices: reports, prometheus} : {devices: reports}) + '\n');
	} else {
		io.stdout.write(reports.map(report => renderHuman(report)).join('\n'));
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
