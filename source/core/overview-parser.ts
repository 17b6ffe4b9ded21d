// Parsers for what a device answers: the JSON overview and service status, and the HTML overview's RSS and last lines.
import {decodeHTML} from 'entities';
import type {DeviceOverview, HtmlOverview, LastLog, MountInfo, PermInfo, ServiceStatus} from './device-model.js';

/** Go's zero time, which the init reports for a service never started. */
const goZeroTime = /^0001-01-01T00:00:00/;

export class ShapeError extends Error {
	override readonly name = 'ShapeError';
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string {
	return typeof value === 'string' ? value : '';
}

function number(value: unknown): number {
	return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function strings(value: unknown): string[] {
	return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

export function parseTime(value: unknown): Date | null {
	if (typeof value !== 'string' || value === '' || goZeroTime.test(value)) {
		return null;
	}

	const date = new Date(value);
	return Number.isNaN(date.getTime()) ? null : date;
}

export function parseServiceStatus(value: unknown): ServiceStatus {
	if (!isObject(value) || typeof value.Path !== 'string' || typeof value.Stopped !== 'boolean') {
		throw new ShapeError('not a gokrazy service status (no Path/Stopped)');
	}

	return {
		path: value.Path,
		stopped: value.Stopped,
		startTime: parseTime(value.StartTime),
		pid: number(value.Pid),
		args: strings(value.Args),
		diverted: text(value.Diverted),
	};
}

function parsePerm(value: Json): PermInfo | null {
	if (typeof value.PermDev !== 'string' && typeof value.PermTotal !== 'number') {
		return null;
	}

	return {dev: text(value.PermDev), used: number(value.PermUsed), avail: number(value.PermAvail), total: number(value.PermTotal)};
}

function parseMounts(value: unknown): MountInfo[] {
	if (!Array.isArray(value)) {
		return [];
	}

	return value.filter(item => isObject(item)).map(item => ({
		dev: text(item.Dev), used: number(item.Used), avail: number(item.Avail), total: number(item.Total),
	}));
}

/** GET / as JSON. Throws ShapeError when the document is not a gokrazy overview. */
export function parseOverview(value: unknown): DeviceOverview {
	if (!isObject(value) || !('Services' in value) || (value.Services !== null && !Array.isArray(value.Services))) {
		throw new ShapeError('not a gokrazy overview (no Services list)');
	}

	const meminfo = isObject(value.Meminfo) ? value.Meminfo : undefined;
	return {
		services: ((value.Services ?? []) as unknown[]).map(service => parseServiceStatus(service)),
		hostname: text(value.Hostname),
		model: text(value.Model),
		kernel: text(value.Kernel),
		buildTimestamp: text(value.BuildTimestamp),
		sbomHash: text(value.SBOMHash),
		memory: meminfo ? {total: number(meminfo.MemTotal), available: number(meminfo.MemAvailable)} : null,
		perm: parsePerm(value),
		privateAddrs: strings(value.PrivateAddrs),
		publicAddrs: strings(value.PublicAddrs),
		mountDevices: parseMounts(value.MountDevices),
		eeprom: value.EEPROM ?? null,
		permUuid: text(value.PermUUID),
	};
}

const mib = 1024 * 1024;
const rssPattern = /title="(.+?) uses ([0-9.]+) MiB RSS"/g;
const rowPattern = /<a href="\/status\?path=[^"]*">([^<]*)<\/a>[\s\S]*?<td class="lastlog">([\s\S]*?)<\/td>/g;
const lastLogPattern = /<small>(stdout|stderr): <\/small>([\s\S]*?)<br\/>/g;

/** GET / as HTML: the per-service RSS bars and each service's last stdout/stderr line. */
export function parseHtmlOverview(html: string): HtmlOverview {
	const rss = new Map<string, number>();
	let initRss: number | null = null;
	for (const match of html.matchAll(rssPattern)) {
		const name = decodeHTML(match[1]!);
		const bytes = Math.round(Number.parseFloat(match[2]!) * mib);
		if (name === 'init') {
			initRss = bytes;
		} else {
			rss.set(name, bytes);
		}
	}

	const lastLog = new Map<string, LastLog>();
	for (const row of html.matchAll(rowPattern)) {
		const path = decodeHTML(row[1]!.trim());
		const entry: LastLog = {};
		for (const line of row[2]!.matchAll(lastLogPattern)) {
			entry[line[1] as 'stdout' | 'stderr'] = decodeHTML(line[2]!);
		}

		lastLog.set(path, entry);
	}

	return {rss, initRss, lastLog};
}
