package i18n

var auditMessages = map[string]msg{}
