<?php
// Sample page of webstack.tiers: shows what reached PHP through nginx and Apache.
header('Content-Type: application/json');
echo json_encode([
    'tier' => 'php',
    'php_version' => PHP_VERSION,
    'host' => gethostname(),
    'client_ip' => $_SERVER['REMOTE_ADDR'] ?? null,
    'http_host' => $_SERVER['HTTP_HOST'] ?? null,
    'scheme' => $_SERVER['HTTP_X_FORWARDED_PROTO'] ?? 'http',
    'request_id' => $_SERVER['HTTP_X_REQUEST_ID'] ?? null,
]), "\n";
