package i18n

var adminMessages = map[string]msg{}
