# `iovsim report` (viz/report.py): a real run's page and a sweep's page opened in headless
# Chromium, and the refusals. Skipped (77) where Chromium cannot start, never passed.
foreach(mode run sweep errors)
  add_test(NAME report.${mode}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/scripts/report_test.sh $<TARGET_FILE:iovsim> ${PROJECT_SOURCE_DIR}
                   ${PROJECT_BINARY_DIR}/report-test/${mode} ${mode})
  set_tests_properties(report.${mode} PROPERTIES SKIP_RETURN_CODE 77)
endforeach()
