export const BERTH_VERSION = '0.1.0';
export const API_PREFIX = '/api/v1';
