// Parsers for what a device answers: the JSON overview and service status, and the HTML overview's RSS and last lines.
import {decodeHTML} from 'entities/decode';
import type {DeviceOverview, HtmlOverview, LastLog, MountInfo, PermInfo, ServiceStatus} from './device-model.js';
import {readLimits} from './read-limits.js';

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

const rssSuffix = ' MiB RSS';
const rssMiddle = ' uses ';

/** A last line kept from the HTML overview is cut here: it is shown in one table cell. */
const maxLastLogChars = readLimits.logViewLineChars;

/**
 * GET / as HTML: the per-service RSS bars and each service's last stdout/stderr line.
 *
 * A linear scan with indexOf, each search starting where the last one ended, so any page costs time in proportion
 * to its size (regular expressions with lazy `.+?` took quadratic time on a page of repeated `title="a`). It reads
 * what the init's template writes:
 *   title="NAME uses 1.5 MiB RSS"
 *   <a href="/status?path=…">PATH</a> … <td class="lastlog"> <small>stdout: </small>LINE<br/> … </td>
 */
export function parseHtmlOverview(html: string): HtmlOverview {
	const rss = new Map<string, number>();
	let initRss: number | null = null;
	const opener = 'title="';
	let position = 0;
	for (;;) {
		const start = html.indexOf(opener, position);
		if (start === -1) {
			break;
		}

		const valueStart = start + opener.length;
		const end = html.indexOf('"', valueStart);
		if (end === -1) {
			break;
		}

		position = end + 1;
		// Most titles are not RSS bars: look at the ending in place before copying anything.
		if (end - valueStart <= rssSuffix.length || !html.startsWith(rssSuffix, end - rssSuffix.length)) {
			continue;
		}

		const bar = parseRssTitle(html.slice(valueStart, end));
		if (bar === undefined) {
			continue;
		}

		if (bar.name === 'init') {
			initRss = bar.bytes;
		} else {
			rss.set(bar.name, bar.bytes);
		}
	}

	return {rss, initRss, lastLog: parseLastLogs(html)};
}

/** "NAME uses 1.5 MiB RSS" (on one line) → name and bytes. */
function parseRssTitle(value: string): {name: string; bytes: number} | undefined {
	if (!value.endsWith(rssSuffix) || value.includes('\n')) {
		return undefined;
	}

	const middle = value.lastIndexOf(rssMiddle, value.length - rssSuffix.length);
	if (middle <= 0) {
		return undefined;
	}

	const number = value.slice(middle + rssMiddle.length, value.length - rssSuffix.length);
	if (number === '' || !/^[0-9.]+$/.test(number)) {
		return undefined;
	}

	return {name: decodeHTML(value.slice(0, middle)), bytes: Math.round(Number.parseFloat(number) * mib)};
}

const linkOpener = '<a href="/status?path=';
const cellOpener = '<td class="lastlog">';
const cellCloser = '</td>';

/** Each service link and the first last-log cell after it; a link without one before the next cell is skipped. */
function parseLastLogs(html: string): Map<string, LastLog> {
	const lastLog = new Map<string, LastLog>();
	let position = 0;
	// Where the next cell opener is, once looked for: searches only ever move forward.
	let nextCell = -2;
	for (;;) {
		const link = html.indexOf(linkOpener, position);
		if (link === -1) {
			break;
		}

		const quote = html.indexOf('"', link + linkOpener.length);
		if (quote === -1) {
			break;
		}

		const nameStart = quote + 2;
		const nameEnd = html.indexOf('<', nameStart);
		if (html.charCodeAt(quote + 1) !== 0x3E /* > */ || nameEnd === -1 || !html.startsWith('</a>', nameEnd)) {
			position = link + 1;
			continue;
		}

		if (nextCell !== -1 && nextCell < nameEnd) {
			nextCell = html.indexOf(cellOpener, nameEnd);
		}

		if (nextCell === -1) {
			break;
		}

		const cellStart = nextCell + cellOpener.length;
		const cellEnd = html.indexOf(cellCloser, cellStart);
		if (cellEnd === -1) {
			break;
		}

		lastLog.set(decodeHTML(html.slice(nameStart, nameEnd).trim()), parseLastLogCell(html, cellStart, cellEnd));
		position = cellEnd + cellCloser.length;
	}

	return lastLog;
}

/** `<small>stdout: </small>LINE<br/>` and the same for stderr, between `start` and `end`. */
function parseLastLogCell(html: string, start: number, end: number): LastLog {
	const entry: LastLog = {};
	let position = start;
	for (;;) {
		const small = html.indexOf('<small>', position);
		if (small === -1 || small >= end) {
			return entry;
		}

		const stream = html.startsWith('stdout: </small>', small + 7) ? 'stdout' : (html.startsWith('stderr: </small>', small + 7) ? 'stderr' : undefined);
		if (stream === undefined) {
			position = small + 1;
			continue;
		}

		const textStart = small + 7 + 'stdout: </small>'.length;
		const br = html.indexOf('<br/>', textStart);
		if (br === -1 || br >= end) {
			return entry;
		}

		// Cut before decoding (a megabyte of last line costs a cell's worth), decode, cut to the cell's worth again.
		const decoded = decodeHTML(html.slice(textStart, Math.min(br, textStart + maxLastLogChars * 8)));
		entry[stream] = decoded.length > maxLastLogChars ? decoded.slice(0, maxLastLogChars) : decoded;
		position = br + 5;
	}
}
