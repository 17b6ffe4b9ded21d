// Device text made fit for a table cell: sanitised (no escape sequences), tabs expanded, one line.
import {sanitizeForTerminal} from '../core/sanitize-terminal.js';
import {expandTabs} from './display-format.js';

export function clean(text: string | null | undefined): string {
	if (!text) {
		return '';
	}

	return expandTabs(sanitizeForTerminal(text));
}
