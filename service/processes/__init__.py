"""Process definitions: the bundled BPMN files, their versions, and the parsed-spec cache."""
