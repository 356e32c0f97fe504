#!/usr/bin/env node
import { buildApp } from '../app.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
buildApp();
