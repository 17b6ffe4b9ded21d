// How a device is doing, as one of six cases, and which case a failure puts it in (display/vocabulary.ts says each).
import type {DeviceErrorKind} from './device-error.js';

export type DeviceHealth = 'connecting' | 'online' | 'unreachable' | 'auth' | 'tls' | 'bad-answer';

export function healthFromError(kind: DeviceErrorKind): DeviceHealth {
	switch (kind) {
		case 'auth': {
			return 'auth';
		}

		case 'tls': {
			return 'tls';
		}

		case 'unreachable':
		case 'timeout':
		case 'aborted': {
			return 'unreachable';
		}

		default: {
			return 'bad-answer';
		}
	}
}
