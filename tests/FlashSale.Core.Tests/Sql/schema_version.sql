CREATE TABLE versions;
