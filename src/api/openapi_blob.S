/* docs/openapi.yaml embedded as bioauth_openapi_start..bioauth_openapi_end.
 * The Makefile passes -DOPENAPI_PATH with the file's path. */
	.section .rodata
	.global bioauth_openapi_start
	.global bioauth_openapi_end
bioauth_openapi_start:
	.incbin OPENAPI_PATH
bioauth_openapi_end:
	.byte 0
	.section .note.GNU-stack,"",@progbits
