// Parser for the Prometheus text exposition format (what node_exporter serves on /metrics).

export type PrometheusSample = {
	name: string;
	labels: Readonly<Record<string, string>>;
	value: number;
};

/**
 * Parses exposition text into samples. Comments (`# HELP`, `# TYPE`) and blank lines are skipped; a line that
 * cannot be parsed is skipped too (and counted in `invalidLines`), so one odd metric never hides the rest.
 */
export function parsePrometheusText(text: string): {samples: PrometheusSample[]; invalidLines: number} {
	const samples: PrometheusSample[] = [];
	let invalidLines = 0;
	for (const rawLine of text.split('\n')) {
		const line = rawLine.trim();
		if (line === '' || line.startsWith('#')) {
			continue;
		}

		const sample = parseSampleLine(line);
		if (sample) {
			samples.push(sample);
		} else {
			invalidLines++;
		}
	}

	return {samples, invalidLines};
}

const namePattern = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

function parseSampleLine(line: string): PrometheusSample | undefined {
	const nameMatch = namePattern.exec(line);
	if (!nameMatch) {
		return undefined;
	}

	const name = nameMatch[0];
	let index = name.length;
	const labels: Record<string, string> = {};
	if (line[index] === '{') {
		const parsed = parseLabels(line, index + 1, labels);
		if (parsed === undefined) {
			return undefined;
		}

		index = parsed;
	}

	const rest = line.slice(index).trim().split(/\s+/);
	if (rest.length === 0 || rest[0] === '') {
		return undefined;
	}

	const value = parseValue(rest[0]);
	if (value === undefined) {
		return undefined;
	}

	return {name, labels, value};
}

/** Parses `a="x",b="y"}` from `start`; returns the index after `}`. */
function parseLabels(line: string, start: number, labels: Record<string, string>): number | undefined {
	let index = start;
	for (;;) {
		while (line[index] === ' ' || line[index] === ',') {
			index++;
		}

		if (line[index] === '}') {
			return index + 1;
		}

		const match = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(index));
		if (!match) {
			return undefined;
		}

		index += match[0].length;
		while (line[index] === ' ') {
			index++;
		}

		if (line[index] !== '=' || line[index + 1] !== '"') {
			return undefined;
		}

		index += 2;
		let value = '';
		for (;;) {
			const char = line[index];
			if (char === undefined) {
				return undefined;
			}

			if (char === '"') {
				index++;
				break;
			}

			if (char === '\\') {
				const escaped = line[index + 1];
				value += escaped === 'n' ? '\n' : (escaped ?? '');
				index += 2;
				continue;
			}

			value += char;
			index++;
		}

		labels[match[0]] = value;
	}
}

function parseValue(text: string): number | undefined {
	switch (text) {
		case 'NaN': {
			return Number.NaN;
		}

		case '+Inf':
		case 'Inf': {
			return Number.POSITIVE_INFINITY;
		}

		case '-Inf': {
			return Number.NEGATIVE_INFINITY;
		}

		default: {
			const value = Number(text);
			return Number.isNaN(value) ? undefined : value;
		}
	}
}
