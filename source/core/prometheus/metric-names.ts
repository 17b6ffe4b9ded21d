// The names of the exporter's metrics, shared by the exporter, the alert rules' test and the queries that read them back (no prom-client here).

export const metricNames = {
	deviceUp: 'gokrazy_device_up',
	deviceInfo: 'gokrazy_device_info',
	lastSeen: 'gokrazy_device_last_seen_timestamp_seconds',
	buildTimestamp: 'gokrazy_device_build_timestamp_seconds',
	memoryTotal: 'gokrazy_device_memory_total_bytes',
	memoryAvailable: 'gokrazy_device_memory_available_bytes',
	serviceRunning: 'gokrazy_service_running',
	serviceStopped: 'gokrazy_service_stopped',
	serviceStart: 'gokrazy_service_start_time_seconds',
	serviceRss: 'gokrazy_service_resident_memory_bytes',
	serviceRestarts: 'gokrazy_service_restarts_total',
} as const;
