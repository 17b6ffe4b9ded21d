// The init's HTML pages (overview and service status), whitespace and escaping as its html/template output in the captures.
import {formatUnixDate, goFixed, templateHtmlEscape, templateJsStringEscape, templateUrlQueryEscape, type GoTime} from './go-format.js';
import type {DiskUsage} from './device-facts.js';

/*
 * Pages are built as byte strings (one char per byte, latin1) so that log lines, which are the
 * programs' raw bytes, reach the browser unchanged, as they do from the real init.
 */
const bytes = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
const escapeBytes = (byteText: string) => templateHtmlEscape(byteText.replace(/\0/g, bytes('\uFFFD')));
const escape = (text: string) => escapeBytes(bytes(text));

export type PageService = {
	path: string;
	stopped: boolean;
	startTime: GoTime;
	/** Raw bytes (latin1), as kept in the rings. */
	lastStdout: string | undefined;
	lastStderr: string | undefined;
	rss: number;
};

export type PageDevice = {
	hostname: string;
	kernel: string;
	model: string;
	buildTimestamp: string;
	sbomHash: string;
	utcOffsetMinutes: number;
};

export type OverviewPage = PageDevice & {
	services: PageService[];
	initRss: number;
	meminfo: {MemTotal: number; MemAvailable: number};
	permDev: string;
	perm: DiskUsage;
	mounts: Array<DiskUsage & {dev: string}>;
	privateAddrs: string[];
	publicAddrs: string[];
	now: bigint;
};

const restartingWindowNs = 5_000_000_000n;

function header(device: PageDevice): string {
	return `<!DOCTYPE html>
<html lang="en">
<title>${escape(device.hostname)} ${bytes('—')} gokrazy</title>
<link rel="stylesheet" href="/assets/bootstrap-3.3.7.min.css" />
<link rel="stylesheet" href="/assets/bootstrap-table-1.11.0.min.css" />
<link rel="icon" href="/assets/favicon.ico" type="image/x-icon" />
<style type="text/css">
.progress-bar:nth-child(5n) {
        background-color: #337ab7;
}
.progress-bar:nth-child(5n+1) {
        background-color: #5cb85c;
}
.progress-bar:nth-child(5n+2) {
        background-color: #5bc0de;
}
.progress-bar:nth-child(5n+3) {
        background-color: #f0ad4e;
}
.progress-bar:nth-child(5n+4) {
        background-color: #d9534f;
}
.lastlog {
        text-overflow: ellipsis;
        white-space: nowrap;
        overflow: hidden;
}
table {
        table-layout: fixed;
}
</style>

<nav class="navbar navbar-default">
  <div class="container-fluid">
    
    <div class="navbar-header">
      <div style="clear: left;">
        <p style="float: left;"><img src = "assets/gokrazy-logo.svg" alt="the gokrazy logo: a mad gopher" width="70px"/></p>
        <p style="width: 50ex; margin-top: 0.25em; font-size: 18px"><a href="/">gokrazy</a><br>
        <small style="font-size: 11px" class="text-muted">built at ${escape(device.buildTimestamp)}</small></p>
      </div>
    </div>

    <div class="collapse navbar-collapse" id="navbar-collapse-1">
      <table class="navbar-text navbar-right" style="border-spacing: 10px 0; border-collapse: separate">
        <tr>
          <th>host</th>
          <td>${escape(device.hostname)}</td>
        </tr>
        <tr>
          <th>kernel</th>
          <td>${escape(device.kernel)}</td>
        </tr>
        ${
					device.model === ''
						? ''
						: `
        <tr>
          <th>model</th>
          <td>${escape(device.model)}</td>
        </tr>
        `
				}
\t${
		device.sbomHash === ''
			? ''
			: `
        <tr>
          <th>SBOM</th>
          <td>${escape(device.sbomHash.slice(0, 10))}</td>
        </tr>
\t`
	}
        
        <tr>
          <td></td>
          <td>
            <details>
              <summary style="display: revert;margin-left: -1.25rem;">Power Management</summary>
              <form action="/reboot" method="post" style="display:inline">
                <button type="submit">Reboot</button>
              </form>
              <form action="/poweroff" method="post" style="display:inline">
                <button type="submit">Poweroff</button>
              </form>
            </details>
          </td>
      </table>

    </div>
  </div>
</nav>

<div class="container">

`;
}

const footer = `
</div>

<script src="/assets/jquery-3.1.1.min.js"></script>
<script src="/assets/bootstrap-table-1.11.0.min.js"></script>

</html>
`;

const megabytes = (value: number) => `${goFixed(value / 1024 / 1024, 1)} MiB`;
const gigabytes = (value: number) => `${goFixed(value / 1024 / 1024 / 1024, 1)} GiB`;

function statusCell(service: PageService, now: bigint): string {
	const restarting = service.startTime !== null && now - service.startTime < restartingWindowNs;
	let cell = '<td>\n';
	if (restarting) {
		cell += '\n<span class="label label-danger">restarting</span>\n';
	}

	cell += '\n';
	if (service.stopped) {
		cell += '\n<span class="label label-default">stopped</span>\n';
	} else if (!restarting) {
		cell += '\n<span class="label label-success">running</span>\n';
	}

	return `${cell}\n</td>`;
}

function lastLogCell(service: PageService): string {
	let cell = '<td class="lastlog">\n';
	if (service.lastStdout) {
		cell += `\n<small>stdout: </small>${escapeBytes(service.lastStdout)}<br/>\n`;
	}

	cell += '\n';
	if (service.lastStderr) {
		cell += `\n<small>stderr: </small>${escapeBytes(service.lastStderr)}<br/>\n`;
	}

	return `${cell}\n</td>`;
}

function progressBar(width: string, title: string, label: string): string {
	return `<div class="progress-bar" style="width: ${width}%" title="${title}">
<span class="sr-only"></span>
${label}
</div>`;
}

/** `GET /` without the JSON headers; a byte string (latin1). */
export function renderOverview(page: OverviewPage): string {
	const used = page.meminfo.MemTotal - page.meminfo.MemAvailable;
	const percentage = (rss: number) => (used > 0 ? goFixed((rss / used) * 100, 0) : '+Inf');
	let html = `${header(page)}
<div class="row">
<div class="col-md-12">

<h1>services</h1>

<table class="table">
<tbody><tr>
<th width="20%">path</th>
<th width="8%">status</th>
<th width="72%">last log line</th>
</tr>

`;
	for (const service of page.services) {
		html += `
<tr>
<td>
<a href="/status?path=${templateUrlQueryEscape(service.path)}">${escape(service.path)}</a>
</td>
${statusCell(service, page.now)}
${lastLogCell(service)}
</tr>
`;
	}

	html += `

</table>
</div>
<div class="col-md-12">
<h2>memory</h2>
${megabytes(page.meminfo.MemTotal)} total, ${megabytes(page.meminfo.MemAvailable)} available<br>
<strong>resident set size (RSS) by service</strong>:
<div class="progress">

`;
	if (page.initRss > 0) {
		html += `\n${progressBar(percentage(page.initRss), `init uses ${megabytes(page.initRss)} RSS`, 'init')}\n`;
	}

	html += '\n\n';
	for (const service of page.services) {
		html += '\n';
		if (service.rss > 0) {
			const name = service.path.slice(service.path.lastIndexOf('/') + 1);
			html += `\n${progressBar(percentage(service.rss), `${escape(service.path)} uses ${megabytes(service.rss)} RSS`, escape(name))}\n`;
		}

		html += '\n';
	}

	html += `
<div class="progress-bar" style="width: 100%; overflow:initial; float: none" title="memory usage outside of gokrazy services">
<span class="sr-only"></span>
unaccounted
</div>
</div>
</div>

<div class="col-md-12">


<h2>storage</h2>

`;
	if (page.perm.avail === 0) {
		html += `
No permanent storage mounted. To create a filesystem for permanent storage, plug the SD card into a Linux computer and, if your SD card is <code>/dev/sdb</code>, use <code>mkfs.ext4 /dev/sdb4</code>.
`;
	} else {
		html += `
<strong>${escape(page.permDev)}</strong>: ${gigabytes(page.perm.total)} total, ${gigabytes(page.perm.used)} used, ${gigabytes(page.perm.avail)} avail<br>
`;
	}

	html += '\n';
	for (const mount of page.mounts) {
		html += `\n\n<strong>${escape(mount.dev)}</strong>: ${gigabytes(mount.total)} total, ${gigabytes(mount.used)} used, ${gigabytes(mount.avail)} avail<br>\n`;
	}

	html += '\n\n<h2>private network addresses</h2>\n<ul>\n';
	for (const address of page.privateAddrs) {
		html += `\n<li>${escape(address)}</li>\n`;
	}

	html += '\n</ul>\n\n<h2>public network addresses</h2>\n<ul>\n';
	for (const address of page.publicAddrs) {
		html += `\n<li>${escape(address)}</li>\n`;
	}

	html += `\n</ul>\n\n\n</div>\n</div>\n\n${footer}\n`;
	return html;
}

export type StatusPage = PageDevice & {
	path: string;
	stopped: boolean;
	startTime: GoTime;
	xsrfToken: number;
};

function actionForm(action: string, page: StatusPage, supervise: string | undefined, label: string): string {
	return `
          <form method="POST" action="${action}">
            <input type="hidden" name="xsrftoken" value="${page.xsrfToken}">
            <input type="hidden" name="path" value="${escape(page.path)}">${
							supervise === undefined ? '' : `\n            <input type="hidden" name="supervise" value="${supervise}">`
						}
            <input type="submit" value="${bytes(label)}">
          </form>
`;
}

/** `GET /status?path=…` without the JSON headers; a byte string (latin1). */
export function renderStatus(page: StatusPage): string {
	const actions = page.stopped
		? `${actionForm('/restart', page, 'once', '▶ run once')}${actionForm('/restart', page, 'loop', '🔁 supervise (run in a loop)')}`
		: actionForm('/stop', page, undefined, '❌ stop');
	const query = templateUrlQueryEscape(page.path);
	return `${header(page)}
<div class="row">
  <div class="col-md-12">
    <table class="table">
      <tr>
        <th>Name</th>
        <th>Started</th>
        <th>Actions</th>
      </tr>
      <tr>
        <td>${escape(page.path)}</td>
        <td>${formatUnixDate(page.startTime, page.utcOffsetMinutes)}</td>
        <td style="display: flex; flex-wrap: wrap; gap: 1em">
${actions}
        </td>
      </tr>
    </table>

    

    <h3>stdout <small><a href="/log?path=${query}&stream=stdout">raw log</a></small></h3>
    <pre id="stdout"></pre>

    <h3>stderr <small><a href="/log?path=${query}&stream=stderr">raw log</a></small></h3>
    <pre id="stderr"></pre>

    <h3>module info</h3>
    <pre></pre>

  </div>
</div>

<script>
const ServiceName = '${bytes(templateJsStringEscape(page.path))}';
</script>
<script src="/assets/status.js" async></script>

${footer}
`;
}
